/** Compose's short volume syntax, `[source:]target[:mode]`, as the schema and the volume mapping read it. */

/** One mount of a compose service. */
export interface Mount {
  type: 'bind' | 'volume' | 'tmpfs' | string;
  source?: string;
  target: string;
  readOnly: boolean;
}

/** `[source:]target[:mode]` */
export function parseShortVolume(text: string): Mount | undefined {
  const parts = text.split(':');
  // A Windows drive letter (`C:\data:/data`) has a colon of its own.
  if (parts.length > 1 && /^[A-Za-z]$/.test(parts[0]!) && /^[\\/]/.test(parts[1] ?? ''))
    parts.splice(0, 2, `${parts[0]}:${parts[1]}`);
  if (parts.length === 1) return { type: 'volume', target: parts[0]!, readOnly: false };
  const [source, target, mode = ''] = parts;
  if (!target) return undefined;
  const bind = /^(\.|\/|~|[A-Za-z]:)/.test(source!) || source!.startsWith('$');
  return { type: bind ? 'bind' : 'volume', source: source!, target, readOnly: mode.split(',').includes('ro') };
}
