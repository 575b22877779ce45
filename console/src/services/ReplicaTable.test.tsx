// A service's replicas say why they are not ready, and how they last ended, in the console's language.
import { render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { message } from '../../../src/model/messages.js';
import type { ReplicaStatus } from '../api/types';
import { App } from '../App';
import i18n from '../i18n';
import { ReplicaTable } from './Details';

const at = '2026-03-01T10:00:00.000Z';
const refused = message('probe.tcpError', { address: '127.0.0.1:5432', error: 'connect ECONNREFUSED 127.0.0.1:5432' });
const unready = message('event.readinessFailed', { detail: refused });
const notFound = message('exit.commandNotFound', { file: 'pg_ctl', error: 'spawn pg_ctl ENOENT' });
const backOff = message('event.backOff', { delay: '20s', reason: notFound });
const oom = message('exit.oomKilled');
const done = message('job.completed', { attempts: 1 });

const replicas: ReplicaStatus[] = [
  { id: 'db-1', phase: 'unready', hash: 'a1', restarts: 0, message: unready.text, messageDetail: unready },
  {
    id: 'db-2',
    phase: 'backoff',
    hash: 'a1',
    restarts: 2,
    lastExit: { at, code: 127, signal: null, reason: notFound.text, reasonMessage: notFound },
    message: backOff.text,
    messageDetail: backOff,
  },
  {
    id: 'db-3',
    phase: 'ready',
    hash: 'a1',
    restarts: 1,
    lastExit: { at, code: null, signal: 'SIGKILL', reason: oom.text, reasonMessage: oom },
  },
  { id: 'migrate-1', phase: 'exited', hash: 'a1', restarts: 0, message: done.text, messageDetail: done },
  // a replica from a control plane before codes: its English text as it is
  { id: 'db-4', phase: 'starting', hash: 'a1', restarts: 0, message: 'starting the process' },
];

function messages(): string[] {
  return [...document.querySelectorAll('tbody tr')].map((tr) => tr.lastElementChild?.textContent ?? '');
}

afterEach(async () => {
  await i18n.changeLanguage('en');
});

describe('replica table', () => {
  it('in simplified Chinese: probe failures, back-off, last exit and a job run translated', async () => {
    await i18n.changeLanguage('zh-CN');
    render(
      <App>
        <ReplicaTable replicas={replicas} />
      </App>,
    );
    expect(await screen.findByText('db-1')).toBeTruthy();
    expect(messages()).toEqual([
      '就绪探针失败：tcp 127.0.0.1:5432 连接失败：connect ECONNREFUSED 127.0.0.1:5432',
      '退避 20s 后重启失败的副本（找不到命令：pg_ctl（spawn pg_ctl ENOENT））',
      '上次退出：内存超出上限被终止（OOMKilled）',
      '已完成（运行 1 次）',
      'starting the process',
    ]);
  });

  it('in English: the words `berth status` prints', async () => {
    render(
      <App>
        <ReplicaTable replicas={replicas} />
      </App>,
    );
    expect(await screen.findByText('db-1')).toBeTruthy();
    expect(messages()).toEqual([
      'readiness probe failed: tcp 127.0.0.1:5432: connect ECONNREFUSED 127.0.0.1:5432',
      'back-off 20s restarting failed replica (command not found: pg_ctl (spawn pg_ctl ENOENT))',
      'last exit: OOMKilled',
      'completed (1 run(s))',
      'starting the process',
    ]);
  });
});
