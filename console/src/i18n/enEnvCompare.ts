/** English text of the config page's comparison with another environment: `envCompare` of en.ts. */
export const enEnvCompare = {
  tab: 'Compare environments',
  hint: 'The current config of {{app}} in {{env}} beside another environment: plain values shown, plain files by their SHA-256, secrets compared by digest and never shown.',
  other: 'Compare with',
  choose: 'Choose an environment',
  noOther: 'There is no other environment to compare with.',
  versions: '{{env}} v{{from}} → {{other}} v{{to}}',
  same: 'No differences: {{other}} has the same config as {{env}}.',
  key: 'Key or file',
  change: 'Difference',
  changes: { added: 'only in {{other}}', removed: 'only in {{env}}', changed: 'differs' },
  file: 'file',
  secret: 'secret',
  secretDiffers: 'secret, differs',
  secretOnly: 'secret in {{env}} only',
  missing: '(none)',
  bytes: '{{size}} bytes',
};
