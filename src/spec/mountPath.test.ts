/** `files[].mountPath`: where a container also sees a config file; checked at load with file:line:col. */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import { parseSpec } from './load.js';

function problemsOf(text: string): string[] {
  try {
    parseSpec(text, 'berth.yaml');
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return err.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.path}: ${p.message}`);
  }
  return [];
}

const spec = (...files: string[]) =>
  ['name: a', 'services:', '  web:', '    image: x', '    files:', ...files.map((f) => `      - ${f}`)].join('\n');

describe('files[].mountPath', () => {
  it('loads an absolute path and keeps it on the file', () => {
    const loaded = parseSpec(spec('{ path: nginx.conf, content: x, mountPath: /etc/nginx/nginx.conf }'), 'berth.yaml');
    expect(loaded.spec.services.web!.files).toEqual([
      { path: 'nginx.conf', content: 'x', mountPath: '/etc/nginx/nginx.conf' },
    ]);
  });

  it('refuses relative, folder-like, dotted and config-directory paths, naming file, line and field', () => {
    expect(
      problemsOf(
        spec(
          '{ path: a, content: x, mountPath: etc/a.conf }',
          '{ path: b, content: x, mountPath: /etc/app/ }',
          '{ path: c, content: x, mountPath: /etc/../c }',
          '{ path: d, content: x, mountPath: /etc/berth/config/d }',
          '{ path: e, content: x, mountPath: "" }',
        ),
      ),
    ).toEqual([
      'berth.yaml:6:43 services.web.files.0.mountPath: must be an absolute path inside the container, such as `/etc/app/app.conf`',
      'berth.yaml:7:43 services.web.files.1.mountPath: must name a file, not a folder (it ends with `/`)',
      'berth.yaml:8:43 services.web.files.2.mountPath: must not have `.` or `..` folders: write the path it means',
      'berth.yaml:9:43 services.web.files.3.mountPath: is inside the config directory /etc/berth/config, where the file is already (`path`): leave `mountPath` out',
      'berth.yaml:10:43 services.web.files.4.mountPath: must be an absolute path inside the container, such as `/etc/app/app.conf`',
    ]);
  });

  it('refuses two files at one mount path, and a mount path another needs as a folder', () => {
    expect(
      problemsOf(
        spec(
          '{ path: a, content: x, mountPath: /etc/app.conf }',
          '{ path: b, content: x, mountPath: /etc/app.conf }',
          '{ path: c, content: x, mountPath: /etc/app.conf/inner }',
        ),
      ),
    ).toEqual([
      'berth.yaml:7:43 services.web.files.1.mountPath: `/etc/app.conf` is already the mountPath of files.0',
      "berth.yaml:8:43 services.web.files.2.mountPath: `/etc/app.conf` is files.0's mountPath (a file), it cannot also be a folder",
    ]);
  });
});
