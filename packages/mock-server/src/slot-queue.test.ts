import { describe, expect, it } from 'vitest';
import { SlotQueue } from './slot-queue.js';

describe('SlotQueue', () => {
  it('grants slots up to the limit, then queues first in, first out', async () => {
    const slots = new SlotQueue(1);
    const signal = new AbortController().signal;
    expect(slots.tryAcquire()).toBe(true);
    const order: number[] = [];
    const a = slots.acquire(signal).then(() => order.push(1));
    const b = slots.acquire(signal).then(() => order.push(2));
    expect(slots.queued).toBe(2);
    slots.release();
    await a;
    slots.release();
    await b;
    expect(order).toEqual([1, 2]);
    expect(slots.active).toBe(1);
  });

  it('drops an aborted waiter from the queue', async () => {
    const slots = new SlotQueue(1);
    slots.tryAcquire();
    const controller = new AbortController();
    const waiting = slots.acquire(controller.signal);
    controller.abort();
    expect(await waiting).toBe(false);
    expect(slots.queued).toBe(0);
    slots.release();
    expect(slots.active).toBe(0);
  });

  it('admits waiters when the limit grows', async () => {
    const slots = new SlotQueue(1);
    slots.tryAcquire();
    const waiting = slots.acquire(new AbortController().signal);
    slots.setLimit(2);
    expect(await waiting).toBe(true);
    expect(slots.active).toBe(2);
  });
});
