import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.ts';

export interface QueryState<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiError({ status: 0, code: 'NETWORK_ERROR', message });
}

/**
 * A tiny typed query hook: runs `fetcher` when `key` changes, keeps the last data while
 * reloading, ignores answers to a superseded key, and aborts on unmount.
 */
export function useQuery<T>(key: string | null, fetcher: (signal: AbortSignal) => Promise<T>): QueryState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(key !== null);
  const [tick, setTick] = useState(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;

  useEffect(() => {
    if (key === null) return;
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    fetcherRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setLoading(false);
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(asApiError(failure));
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [key, tick]);

  const reload = useCallback(() => setTick((value) => value + 1), []);
  return { data, error, loading, reload };
}

export interface MutationState<A extends unknown[], T> {
  run: (...args: A) => Promise<T | undefined>;
  pending: boolean;
  error: ApiError | null;
  reset: () => void;
}

/** Runs an action, tracking pending and the API's error; resolves undefined when it failed. */
export function useMutation<A extends unknown[], T>(action: (...args: A) => Promise<T>): MutationState<A, T> {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const actionRef = useRef(action);
  actionRef.current = action;
  const run = useCallback(async (...args: A) => {
    setPending(true);
    setError(null);
    try {
      return await actionRef.current(...args);
    } catch (failure) {
      setError(asApiError(failure));
      return undefined;
    } finally {
      setPending(false);
    }
  }, []);
  const reset = useCallback(() => setError(null), []);
  return { run, pending, error, reset };
}

export interface PagedState<T> extends QueryState<T[]> {
  hasMore: boolean;
  more: () => void;
}

/**
 * A cursor-paged list (`{data, has_more, next_cursor}`): the first page for `path`, and
 * `more()` appends the next one.
 */
export function usePaged<T>(
  path: string | null,
  fetchPage: (
    url: string,
    signal: AbortSignal,
  ) => Promise<{ data: T[]; has_more: boolean; next_cursor: string | null }>,
): PagedState<T> {
  const [extra, setExtra] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const first = useQuery(path, async (signal) => {
    const page = await fetchPage(path ?? '', signal);
    setExtra([]);
    setCursor(page.next_cursor);
    setHasMore(page.has_more);
    return page.data;
  });
  const more = useCallback(() => {
    if (!path || !cursor) return;
    const url = `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`;
    fetchPage(url, new AbortController().signal).then(
      (page) => {
        setExtra((items) => [...items, ...page.data]);
        setCursor(page.next_cursor);
        setHasMore(page.has_more);
      },
      (failure: unknown) => setMoreError(asApiError(failure)),
    );
  }, [path, cursor, fetchPage]);
  const data = first.data ? [...first.data, ...extra] : undefined;
  return { ...first, data, error: first.error ?? moreError, hasMore, more };
}
