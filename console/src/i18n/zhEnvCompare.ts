/** 配置页中与另一环境比较的中文文本：zh-CN.ts 的 `envCompare`。 */
export const zhEnvCompare = {
  tab: '比较环境',
  hint: '{{app}} 在 {{env}} 的当前配置与另一环境并列：显示普通值，普通文件按哈希比较，机密按摘要比较且从不显示。',
  other: '比较对象',
  choose: '选择一个环境',
  noOther: '没有可比较的其他环境。',
  versions: '{{env}} 版本 {{from}} → {{other}} 版本 {{to}}',
  same: '没有差异：{{other}} 与 {{env}} 的配置相同。',
  key: '键或文件',
  change: '差异',
  changes: { added: '仅在 {{other}}', removed: '仅在 {{env}}', changed: '不同' },
  file: '文件',
  secret: '机密',
  secretDiffers: '机密，不同',
  secretOnly: '仅在 {{env}} 中为机密',
  missing: '（无）',
  bytes: '{{size}} 字节',
};
