/** English strings of sign-in, the signed-in identity and permission-aware actions: en.ts's `auth`. */
export const enAuth = {
  passwordTab: 'Password',
  tokenTab: 'API token',
  user: 'User name',
  userRequired: 'Enter your user name',
  password: 'Password',
  passwordRequired: 'Enter your password',
  wrongPassword: 'Wrong user name or password',
  tooMany: 'Too many attempts, try again in {{seconds}} s',
  or: 'or',
  sso: 'Sign in with SSO',
  ssoFailed: 'Single sign-on failed ({{code}}): sign in again, or ask an administrator',
  method: { sso: 'SSO', password: 'password', token: 'token' },
  need: {
    appEnv: 'Needs {{permission}} on {{app}} in {{env}}',
    env: 'Needs {{permission}} in {{env}}',
    app: 'Needs {{permission}} on {{app}}',
    any: 'Needs {{permission}}',
  },
};
