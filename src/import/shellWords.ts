/**
 * Splits a command string into argv the way compose does (shell words, no shell): whitespace
 * separates, single quotes are literal, double quotes keep spaces and honour `\"`, `\\`, `\$`.
 */

/** argv of a compose command string; undefined when a quote is not closed. */
export function shellWords(text: string): string[] | undefined {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '\\' && i + 1 < text.length) {
      word += text[++i];
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && /["\\$`]/.test(text[j + 1] ?? '')) j++;
        word += text[j];
      }
      if (j >= text.length) return undefined;
      i = j;
    } else {
      word += c;
    }
  }
  if (inWord) out.push(word);
  return out;
}
