/**
 * One in-flight promise per key: callers that ask while it runs share its result, and the next
 * call after it settles starts a new one. This is the in-process half of "one refresh per
 * credential"; the lease in the store is the cross-replica half.
 */
export function createSingleFlight<T>() {
  const flights = new Map<string, Promise<T>>();
  return {
    run(key: string, work: () => Promise<T>): Promise<T> {
      const running = flights.get(key);
      if (running) return running;
      const flight = work().finally(() => flights.delete(key));
      flights.set(key, flight);
      return flight;
    },
    get size() {
      return flights.size;
    },
  };
}
