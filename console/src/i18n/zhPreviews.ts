/** 预览环境在环境页上的简体中文文本（docs/previews.md）：zh-CN.ts 的 `previews`。 */
export const zhPreviews = {
  column: '预览',
  tag: '预览',
  of: '{{app}} · {{key}} 的预览',
  expires: '{{time}} 到期',
  edge: '入口端口 {{port}}',
  state: { opening: '创建中', open: '已开启', closing: '关闭中', closed: '已关闭' },
  close: '关闭',
  closeTitle: '关闭预览 {{key}}？',
  closeConfirm: '将停止 {{env}} 中运行的应用并删除该环境。',
  closed: '预览 {{key}} 已关闭：{{env}} 已删除',
  none: '—',
};
