import { describe, expect, it } from 'vitest';
import { KeyedMutex } from '../../../worker/pipeline/KeyedMutex.ts';

/** A task that records its start and end and finishes when told. */
function gate(log: string[], name: string) {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const done = new Promise<string>((resolve, reject) => {
    open = () => resolve(name);
    fail = reject;
  });
  return {
    task: async () => {
      log.push(`start ${name}`);
      try {
        return await done;
      } finally {
        log.push(`end ${name}`);
      }
    },
    open: () => open(),
    fail: (e: Error) => fail(e),
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedMutex', () => {
  it('runs tasks of one key one after another, in order', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const a = gate(log, 'a1');
    const b = gate(log, 'a2');
    const first = mutex.run('a', a.task);
    const second = mutex.run('a', b.task);
    await settle();
    expect(log).toEqual(['start a1']);
    a.open();
    await expect(first).resolves.toBe('a1');
    await settle();
    expect(log).toEqual(['start a1', 'end a1', 'start a2']);
    b.open();
    await expect(second).resolves.toBe('a2');
  });

  it('runs tasks of different keys at once', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const a = gate(log, 'a');
    const b = gate(log, 'b');
    const runs = [mutex.run('a', a.task), mutex.run('b', b.task)];
    await settle();
    expect(log).toEqual(['start a', 'start b']);
    expect(mutex.size).toBe(2);
    b.open();
    a.open();
    await Promise.all(runs);
  });

  it('runs the next task of a key after one fails, and passes the failure to its own caller only', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const a = gate(log, 'a1');
    const b = gate(log, 'a2');
    const first = mutex.run('a', a.task);
    const second = mutex.run('a', b.task);
    a.fail(new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    b.open();
    await expect(second).resolves.toBe('a2');
  });

  it('forgets a key once its last task ends, whether it succeeded or failed', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    const a = gate(log, 'a1');
    const b = gate(log, 'a2');
    const first = mutex.run('a', a.task);
    const second = mutex.run('a', b.task);
    a.open();
    await first;
    // The second task still holds the key.
    expect(mutex.size).toBe(1);
    b.fail(new Error('boom'));
    await second.catch(() => undefined);
    expect(mutex.size).toBe(0);
    await mutex.run('b', async () => 'ok');
    expect(mutex.size).toBe(0);
  });
});
