import type { MockServer, MockStats } from '@tiered/mock-server';

/** Chat requests the mock endpoints received, read from their `GET /__stats`. */
export interface UpstreamRequests {
  /** Over every endpoint. */
  readonly total: number;
  /** Per router call: the router sends its request id upstream as `x-tiered-request-id`. */
  readonly byRequestId: Readonly<Record<string, number>>;
}

/**
 * Asks each endpoint of a running mock topology over HTTP how many requests it received — the
 * server's own count, independent of what the router or a framework reports about itself.
 */
export async function upstreamRequests(mock: MockServer): Promise<UpstreamRequests> {
  let total = 0;
  const byRequestId: Record<string, number> = {};
  for (const endpoint of mock.endpoints) {
    const url = new URL('/__stats', endpoint.baseURL);
    const stats = (await (await fetch(url)).json()) as MockStats;
    total += stats.received;
    for (const [id, n] of Object.entries(stats.byRequestId)) {
      byRequestId[id] = (byRequestId[id] ?? 0) + n;
    }
  }
  return { total, byRequestId };
}
