// Every string goes through i18n: both languages have the same keys, every key used exists, and no
// text in JSX bypasses t().
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { en } from './en';
import { zhCN } from './zh-CN';
import { supportedLanguage } from './index';
import { message, REASON_CODES } from '../../../src/model/messages.js';
import i18n from './index';
import { reasonText } from '../components/reason';

const SRC = join(import.meta.dirname, '..');

function keys(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) && !p.includes(`${join(SRC, 'test')}`) ? [p] : [];
  });
}

/** Attributes whose string value people read. */
const TEXT_ATTRIBUTES = new Set([
  'title',
  'placeholder',
  'label',
  'alt',
  'aria-label',
  'okText',
  'cancelText',
  'description',
  'content',
  'extra',
  'tooltip',
  'text',
]);

function untranslated(file: string): string[] {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const where = (n: ts.Node): string =>
    `${relative(SRC, file)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const visit = (n: ts.Node): void => {
    if (ts.isJsxText(n) && /\p{L}/u.test(n.text)) found.push(`${where(n)} text ${JSON.stringify(n.text.trim())}`);
    if (
      ts.isJsxAttribute(n) &&
      TEXT_ATTRIBUTES.has(n.name.getText()) &&
      n.initializer &&
      ts.isStringLiteral(n.initializer) &&
      /\p{L}/u.test(n.initializer.text)
    )
      found.push(`${where(n)} ${n.name.getText()}=${JSON.stringify(n.initializer.text)}`);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe('translations', () => {
  it('has the same keys in English and simplified Chinese, none empty', () => {
    expect(keys(zhCN).sort()).toEqual(keys(en).sort());
    const empty = [...keys(en).map((k) => ['en', k]), ...keys(zhCN).map((k) => ['zh-CN', k])].filter(([lng, k]) => {
      const v = k!.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], lng === 'en' ? en : zhCN);
      return typeof v !== 'string' || v.trim() === '';
    });
    expect(empty).toEqual([]);
  });

  it('has every key the code uses (literal keys; template keys are checked by the compiler)', () => {
    const known = new Set(keys(en));
    const used = sources(SRC).flatMap((f) =>
      [...readFileSync(f, 'utf8').matchAll(/\bt\('([a-zA-Z0-9_.-]+)'/g)].map((m) => m[1]!),
    );
    expect(used.length).toBeGreaterThan(100);
    expect(used.filter((k) => !known.has(k))).toEqual([]);
  });

  it('finds no text in JSX that bypasses t()', () => {
    const files = sources(SRC).filter((f) => f.endsWith('.tsx'));
    expect(files.length).toBeGreaterThan(15);
    expect(files.flatMap(untranslated)).toEqual([]);
  });

  it('the check itself catches a literal', () => {
    const tmp = join(SRC, 'test', 'literal.fixture.tsx');
    expect(untranslated(tmp)).toEqual([
      'test/literal.fixture.tsx:4 text "Hello there"',
      'test/literal.fixture.tsx:5 placeholder="Type here"',
    ]);
  });

  it('translates every code of a server-made message in both languages, with its params', async () => {
    const known = new Set(keys(en));
    expect(REASON_CODES.filter((c) => !known.has(`reasons.${c}`))).toEqual([]);
    expect(keys(en).filter((k) => k.startsWith('reasons.') && !REASON_CODES.includes(k.slice(8) as never))).toEqual([]);
    const aborted = message('release.aborted', { service: 'api', by: 'console' });
    expect(aborted.text).toBe('api: aborted by console');
    await i18n.changeLanguage('zh-CN');
    expect(reasonText(i18n.t, aborted, aborted.text)).toBe('api：已被 console 中止');
    expect(reasonText(i18n.t, message('rollout.weight', { weight: 25 }), 'x')).toBe('权重 25%');
    // no code (a release from before codes): the server's text
    expect(reasonText(i18n.t, undefined, 'db: superseded')).toBe('db: superseded');
    const cancelled = message('release.cancelledRollingOut', { by: 'ana', services: 'front' });
    expect(reasonText(i18n.t, cancelled, cancelled.text)).toBe('发布 front 时已被 ana 取消');
    const timedOut = message('release.timedOutRollingOut', { duration: '5s', services: 'front' });
    expect(reasonText(i18n.t, timedOut, timedOut.text)).toBe('发布 front 时超过 5s 的超时时间');
    const loop = message('release.crashLoop', {
      service: 'front',
      replica: 'front-1',
      crashes: 3,
      lastExit: 'exited with code 3: boom',
      lastStderr: 'starting | boom',
    });
    expect(reasonText(i18n.t, loop, loop.text)).toBe(
      'front：崩溃循环：front-1 连续崩溃 3 次，从未就绪；最后一次退出：exited with code 3: boom；最后的 stderr：starting | boom',
    );
    await i18n.changeLanguage('en');
    expect(reasonText(i18n.t, aborted, 'x')).toBe(aborted.text);
    // the console's English says what the CLI says
    for (const m of [cancelled, timedOut, loop]) expect(reasonText(i18n.t, m, 'x')).toBe(m.text);
  });

  it('translates release and runtime events, a message inside a message first', async () => {
    const started = message('event.replicaStarted', { replica: 'api-6c0c4-1', pid: 4242, port: 40623 });
    expect(started.text).toBe('started replica api-6c0c4-1 (pid 4242, port 40623)');
    const step = message('event.setWeight', {
      step: 1,
      of: 3,
      hash: 'bd0ce9c7',
      phase: message('rollout.weight', { weight: 50 }),
      replicas: 1,
    });
    expect(step.text).toBe('step 1/3: new version bd0ce9c7 gets weight 50% (1 replica)');
    const check = message('event.analysisStep', {
      verdict: message('verdict.inconclusive'),
      result: message('analysis.unmeasured', { runtime: 'kubernetes' }),
    });
    const loop = message('release.kubernetesCrashLoop', {
      service: 'web',
      pod: 'web-1',
      container: 'web',
      restarts: 3,
      waiting: message('crash.backOff'),
      lastExit: message('crash.lastExit', { exit: message('crash.exitCode', { code: 3 }), reason: '' }),
      lastMessage: '',
    });
    const circuit = message('circuit.errorRate', { percent: 50, window: '5s' });
    await i18n.changeLanguage('zh-CN');
    expect(reasonText(i18n.t, started, started.text)).toBe('副本 api-6c0c4-1 已启动（pid 4242，端口 40623）');
    expect(reasonText(i18n.t, step, step.text)).toBe('第 1/3 步：新版本 bd0ce9c7 获得权重 50%（1 个副本）');
    expect(reasonText(i18n.t, check, check.text)).toBe('整个步骤无结论：kubernetes 运行时无法按轨道统计流量：无法判定');
    expect(reasonText(i18n.t, loop, loop.text)).toBe(
      'web：崩溃循环：Pod web-1 的容器 web 连续崩溃 3 次，从未就绪（CrashLoopBackOff）；最后一次退出：以退出码 3 退出',
    );
    expect(reasonText(i18n.t, circuit, circuit.text)).toBe('5s 内错误率 50%');
    await i18n.changeLanguage('en');
    for (const m of [started, check, loop, circuit]) expect(reasonText(i18n.t, m, 'x')).toBe(m.text);
  });

  it('translates a stuck rollout part by part, with what each replica found inside', async () => {
    const probe = message('probe.httpTimeout', { path: '/healthz', timeoutMs: 500 });
    const crash = message('exit.withExcerpt', {
      how: message('exit.code', { code: 3 }),
      excerpt: 'fatal: DATABASE_URL is not set',
    });
    const stuck = message('release.noProgress', {
      service: 'api',
      newReady: 0,
      desired: 2,
      seconds: 30,
      details: message('release.replicaWhy', {
        replica: 'api-1',
        reason: message('event.readinessFailed', { detail: probe }),
        rest: message('release.replicaWhy', {
          replica: 'api-2',
          reason: message('release.exitedRestarts', { reason: crash, restarts: 4 }),
          rest: message('release.olderRemain', { count: 1, rest: '' }),
        }),
      }),
    });
    expect(stuck.text).toBe(
      'api: 0/2 replicas ready after 30s; api-1: readiness probe failed: GET /healthz: no response within 500ms; api-2: exited with code 3: fatal: DATABASE_URL is not set (4 restarts); 1 replica(s) of an older version remain',
    );
    await i18n.changeLanguage('zh-CN');
    expect(reasonText(i18n.t, stuck, stuck.text)).toBe(
      'api：30 秒后 2 个副本中只有 0 个就绪；api-1：就绪探针失败：GET /healthz：500 毫秒内无响应；api-2：以退出码 3 退出：fatal: DATABASE_URL is not set（已重启 4 次）；还有 1 个旧版本副本',
    );
    const edge = message('listener.cannotListen', {
      what: message('listener.edgeOf', { key: 'shop/local' }),
      port: 8080,
      why: message('listener.inUse'),
    });
    expect(reasonText(i18n.t, edge, edge.text)).toBe(
      'shop/local 的入口无法监听 127.0.0.1:8080：另一个进程占用了该端口（EADDRINUSE）',
    );
    await i18n.changeLanguage('en');
    expect(reasonText(i18n.t, stuck, 'x')).toBe(stuck.text);
    expect(reasonText(i18n.t, edge, 'x')).toBe(
      'the edge of shop/local cannot listen on 127.0.0.1:8080: another process uses that port (EADDRINUSE)',
    );
  });

  it('maps browser languages to the ones it has', () => {
    expect(supportedLanguage('zh-CN')).toBe('zh-CN');
    expect(supportedLanguage('zh-TW')).toBe('zh-CN');
    expect(supportedLanguage('zh')).toBe('zh-CN');
    expect(supportedLanguage('en-GB')).toBe('en');
    expect(supportedLanguage('de')).toBe('en');
    expect(supportedLanguage(undefined)).toBe('en');
  });
});
