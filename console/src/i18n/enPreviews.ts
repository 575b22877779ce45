/** English text of preview environments on the environments page (docs/previews.md): `previews` of en.ts. */
export const enPreviews = {
  column: 'Preview',
  tag: 'preview',
  of: 'of {{app}} · {{key}}',
  expires: 'expires {{time}}',
  edge: 'edge port {{port}}',
  state: { opening: 'opening', open: 'open', closing: 'closing', closed: 'closed' },
  close: 'Close',
  closeTitle: 'Close preview {{key}}?',
  closeConfirm: 'Takes down what runs in {{env}} and deletes the environment.',
  closed: 'Preview {{key}} closed: {{env}} deleted',
  none: '—',
};
