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
  // A refused single sign-on (the control plane's /signin?error=<code>), in words
  ssoError: {
    sso_unavailable:
      'Single sign-on is not available: the control plane cannot reach its identity provider, or it is not set up. Ask an administrator.',
    sso_state: 'This sign-in expired, or was started in another browser. Sign in again.',
    sso_provider_error:
      'The identity provider refused the sign-in, or it was cancelled there. Sign in again, or ask an administrator.',
    sso_audience:
      'The identity provider’s answer was meant for another application. Ask an administrator to check the client ID.',
    sso_expired:
      'The identity provider’s answer had expired (check the clocks). Sign in again, or ask an administrator.',
    sso_nonce: 'The identity provider’s answer did not belong to this sign-in. Sign in again.',
    sso_id_token: 'The identity provider’s answer could not be verified. Ask an administrator.',
    sso_username: 'The identity provider named no valid user name. Ask an administrator.',
    sso_local_user: 'This is a local user of Berth: sign in with the password.',
    sso_disabled: 'This user is disabled. Ask an administrator.',
    sso_failed: 'Single sign-on failed. Sign in again, or ask an administrator.',
  },
  method: { sso: 'SSO', password: 'password', token: 'token' },
  need: {
    appEnv: 'Needs {{permission}} on {{app}} in {{env}}',
    env: 'Needs {{permission}} in {{env}}',
    app: 'Needs {{permission}} on {{app}}',
    any: 'Needs {{permission}}',
  },
};
