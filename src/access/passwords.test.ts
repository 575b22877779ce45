import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './passwords.js';

describe('passwords', () => {
  it('verifies the password a hash was made from and no other', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(stored).not.toContain('correct');
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same password')).not.toBe(await hashPassword('same password'));
  });

  it('refuses malformed stored values instead of throwing', async () => {
    for (const bad of [
      '',
      'plain',
      'scrypt$1$2$3',
      'scrypt$x$8$1$aa$bb',
      'bcrypt$10$8$1$aa$bb',
      'scrypt$99999999$8$1$aa$bb',
    ])
      expect(await verifyPassword('anything', bad)).toBe(false);
  });
});
