/**
 * Encryption of config secrets at rest. One master key per Berth home (`<home>/secret.key`,
 * 32 random bytes, mode 0600); AES-256-GCM with a random IV per value; an HMAC digest so the
 * renderer can tell a secret changed without storing or showing it.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { BerthError, ErrorCode } from '../errors.js';

/** What secrets look like wherever Berth shows them (declared in src/model/mask.ts; importers here keep working). */
export { MASK } from '../model/mask.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = 'v1';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Encrypts, decrypts and digests secret values with the home's master key. */
export interface SecretBox {
  /** The master key file. */
  readonly keyFile: string;
  /** `v1:<iv b64>:<tag b64>:<ciphertext b64>`, with a fresh random IV each call. */
  encrypt(plain: string): string;
  /** The plaintext of a value made by `encrypt`; throws SecretKeyError if it was tampered with. */
  decrypt(stored: string): string;
  /** Hex HMAC-SHA256 of the plaintext under a key derived from the master key. */
  digest(plain: string): string;
}

/** The key file is unusable, or a stored secret cannot be decrypted with it. */
export class SecretKeyError extends BerthError {
  constructor(message: string, opts: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(ErrorCode.internal, message, opts);
  }
}

/** Loads the master key of `home`, creating it (and a 0700 home) on first use. */
export async function loadSecretBox(home: string): Promise<SecretBox> {
  const dir = path.resolve(home);
  const keyFile = path.join(dir, 'secret.key');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const master = (await readKey(keyFile)) ?? (await createKey(keyFile));
  // Separate keys for the cipher and the digest, so a digest never reveals anything about the cipher key.
  const encKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'berth secret encryption v1', KEY_BYTES));
  const macKey = Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'berth secret digest v1', KEY_BYTES));

  return {
    keyFile,
    encrypt(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', encKey, iv);
      const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [
        FORMAT,
        iv.toString('base64'),
        cipher.getAuthTag().toString('base64'),
        ciphertext.toString('base64'),
      ].join(':');
    },
    decrypt(stored) {
      const [iv, tag, ciphertext] = parseStored(stored);
      const decipher = createDecipheriv('aes-256-gcm', encKey, iv, { authTagLength: TAG_BYTES });
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch (err) {
        throw new SecretKeyError(
          `a stored secret failed its integrity check: it was tampered with, or encrypted with another key than ${keyFile}`,
          { details: { keyFile }, cause: err },
        );
      }
    },
    digest(plain) {
      return createHmac('sha256', macKey).update(plain, 'utf8').digest('hex');
    },
  };
}

function parseStored(stored: string): [Buffer, Buffer, Buffer] {
  const parts = stored.split(':');
  const malformed = (): SecretKeyError =>
    new SecretKeyError(`a stored secret is malformed (expected ${FORMAT}:<iv>:<tag>:<ciphertext> in base64)`);
  if (parts.length !== 4 || parts[0] !== FORMAT || !parts.slice(1).every((p) => BASE64.test(p))) throw malformed();
  const iv = Buffer.from(parts[1]!, 'base64');
  const tag = Buffer.from(parts[2]!, 'base64');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw malformed();
  return [iv, tag, Buffer.from(parts[3]!, 'base64')];
}

async function readKey(keyFile: string): Promise<Buffer | undefined> {
  let mode: number;
  try {
    mode = (await stat(keyFile)).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(3, '0');
    throw new SecretKeyError(
      `refusing to use ${keyFile}: it is accessible by group or others (mode ${octal}). ` +
        `Run \`chmod 600 ${keyFile}\` and check who could have read it.`,
      { details: { keyFile, mode: octal } },
    );
  }
  const key = await readFile(keyFile);
  if (key.length !== KEY_BYTES) {
    throw new SecretKeyError(`${keyFile} is not a Berth key: expected ${KEY_BYTES} bytes, found ${key.length}`, {
      details: { keyFile },
    });
  }
  return key;
}

/**
 * Writes a new key to a temporary file and links it into place: the link fails if another
 * process created the key meanwhile, and nobody ever reads a half-written key.
 */
async function createKey(keyFile: string): Promise<Buffer> {
  const tmp = `${keyFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.chmod(0o600); // the umask may only narrow the mode, but be explicit
    await handle.writeFile(randomBytes(KEY_BYTES));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(tmp, keyFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(tmp);
  }
  await syncDir(path.dirname(keyFile));
  const key = await readKey(keyFile);
  if (!key) throw new SecretKeyError(`${keyFile} disappeared right after it was created`);
  return key;
}

async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
