/**
 * Reading a password for `berth login` and `berth user create|set`: from stdin with `--password-stdin`
 * (a script, CI: `printf %s "$PW" | berth login --user dev --password-stdin`), else asked on the
 * terminal without echo. Never from a flag (it would land in the shell history and `ps`).
 */
import { ValidationError } from '../errors.js';

/** All of stdin, without its final line break. */
export async function passwordFromStdin(flag = '--password-stdin'): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  const password = text.replace(/\r?\n$/, '');
  if (!password)
    throw new ValidationError('no password', [{ file: 'command line', path: flag, message: 'stdin was empty' }]);
  return password;
}

/** Whether a password can be asked (stdin is a terminal). */
export const canAsk = (): boolean => Boolean(process.stdin.isTTY);

/** Asks `question` on the terminal; the answer is not echoed. */
export function askHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let answer = '';
    const done = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(answer);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done();
        if (ch === '\u0003') return done(new ValidationError('cancelled', []));
        if (ch === '\u007f' || ch === '\b') answer = answer.slice(0, -1);
        else answer += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** A password: `--password-stdin`'s, else asked (twice when `confirm`); `required` refuses none on a non-terminal. */
export async function readPassword(o: {
  stdin: boolean;
  confirm?: boolean;
  what?: string;
}): Promise<string | undefined> {
  if (o.stdin) return passwordFromStdin();
  if (!canAsk()) return undefined;
  const what = o.what ?? 'password';
  const first = await askHidden(`${what}: `);
  if (!o.confirm) return first;
  const again = await askHidden(`${what} again: `);
  if (first !== again)
    throw new ValidationError('the passwords differ', [
      { file: 'command line', path: 'password', message: 'typed twice differently' },
    ]);
  return first;
}
