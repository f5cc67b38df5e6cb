import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api.ts';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="muted" role="status" aria-live="polite">
      {label}
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** An API error with its message and stable code (and field errors when the API gave them). */
export function ErrorBox({ error }: { error: ApiError | null | undefined }) {
  if (!error) return null;
  return (
    <div class="error" role="alert">
      <strong>{error.message}</strong> <code class="code">{error.code}</code>
      {error.errors && error.errors.length > 0 && (
        <ul>
          {error.errors.map((item) => (
            <li key={`${item.path}:${item.message}`}>
              <code>{item.path}</code>: {item.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * The states of a list around its content: the API's error, loading (only before the first
 * answer, so a reload keeps the list on screen) and empty.
 */
export function ListState({
  error,
  loading,
  items,
  empty,
  loadingLabel,
}: {
  error: ApiError | null | undefined;
  loading: boolean;
  items: readonly unknown[] | undefined;
  empty: ComponentChildren;
  loadingLabel?: string;
}) {
  return (
    <>
      <ErrorBox error={error} />
      {loading && !items && <Loading {...(loadingLabel ? { label: loadingLabel } : {})} />}
      {items && items.length === 0 && <Empty>{empty}</Empty>}
    </>
  );
}

export function NotFound({ what }: { what: string }) {
  return (
    <section class="notfound" aria-labelledby="nf-title">
      <h1 id="nf-title">Not found</h1>
      <p>{what} does not exist, or is not yours.</p>
      <a href="/console/">Back to the console</a>
    </section>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · Enclave console`;
  }, [title]);
  return (
    <header class="page-header">
      <h1>{title}</h1>
      {children && <div class="actions">{children}</div>}
    </header>
  );
}

/** A titled part of a page; its heading labels it for assistive technology. */
export function Section({
  id,
  title,
  children,
}: {
  id: string;
  title: ComponentChildren;
  children: ComponentChildren;
}) {
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

/** A native modal dialog asking to confirm a destructive action. */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  class: className = 'danger',
}: {
  label: string;
  question: string;
  confirmLabel?: string;
  onConfirm: () => void;
  class?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <button type="button" class={className} onClick={() => dialog.current?.showModal()}>
        {label}
      </button>
      <dialog ref={dialog} aria-label={question}>
        <form method="dialog">
          <p>{question}</p>
          <div class="actions">
            <button type="submit" value="cancel">
              Cancel
            </button>
            <button type="submit" class="danger" value="ok" onClick={() => onConfirm()}>
              {confirmLabel ?? label}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setCopied(true);
        } catch {
          setCopied(false);
        }
      }}
    >
      {copied ? 'Copied' : label}
      <span class="visually-hidden" aria-live="polite">
        {copied ? ' to the clipboard' : ''}
      </span>
    </button>
  );
}

export function formatDate(value: string | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}

export function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString();
}

export function MoreButton({ hasMore, onMore }: { hasMore: boolean; onMore: () => void }) {
  if (!hasMore) return null;
  return (
    <button type="button" onClick={onMore}>
      Load more
    </button>
  );
}

/** A table that scrolls sideways on a narrow screen; focusable so that the keyboard can scroll it. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (WCAG 2.1.1)
    <section class="table-wrap" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}
