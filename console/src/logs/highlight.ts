/** Cuts a line into the parts that match a search text (case-insensitive, as the index finds it) and the rest. */
export interface LinePart {
  text: string;
  match: boolean;
}

export function highlight(line: string, text: string | undefined): LinePart[] {
  const needle = text?.toLowerCase() ?? '';
  if (needle === '') return [{ text: line, match: false }];
  const hay = line.toLowerCase();
  const parts: LinePart[] = [];
  let from = 0;
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + needle.length)) {
    if (at > from) parts.push({ text: line.slice(from, at), match: false });
    parts.push({ text: line.slice(at, at + needle.length), match: true });
    from = at + needle.length;
  }
  if (from < line.length) parts.push({ text: line.slice(from), match: false });
  return parts;
}
