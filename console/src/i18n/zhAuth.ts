/** 登录、当前身份与按权限显示的操作的中文文本：zh-CN.ts 的 `auth`。 */
export const zhAuth = {
  passwordTab: '密码',
  tokenTab: 'API 令牌',
  user: '用户名',
  userRequired: '请输入用户名',
  password: '密码',
  passwordRequired: '请输入密码',
  wrongPassword: '用户名或密码错误',
  tooMany: '尝试次数过多，请在 {{seconds}} 秒后重试',
  or: '或',
  sso: '使用单点登录',
  ssoFailed: '单点登录失败（{{code}}）：请重新登录，或联系管理员',
  method: { sso: '单点登录', password: '密码', token: '令牌' },
  need: {
    appEnv: '需要 {{app}} 在 {{env}} 中的 {{permission}} 权限',
    env: '需要 {{env}} 中的 {{permission}} 权限',
    app: '需要 {{app}} 的 {{permission}} 权限',
    any: '需要 {{permission}} 权限',
  },
};
