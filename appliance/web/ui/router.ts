/**
 * Hash routing (`#/status`, `#/extensions`…): the server serves the same page for every
 * path, and a hash survives reloads without asking it anything.
 */
import { useEffect, useState } from 'preact/hooks';

export const PAGE_IDS = ['status', 'extensions', 'registrations', 'trunks', 'dialplan', 'services', 'calls', 'diagnostics', 'settings'] as const;
export type PageId = (typeof PAGE_IDS)[number];

export const DEFAULT_PAGE: PageId = 'status';

function pageOfHash(hash: string): PageId {
  const id = hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  return (PAGE_IDS as readonly string[]).includes(id) ? (id as PageId) : DEFAULT_PAGE;
}

export const hrefOf = (page: PageId): string => `#/${page}`;

/** The page the hash names (the default page for an unknown or empty hash). */
export function useCurrentPage(): PageId {
  const [page, setPage] = useState<PageId>(() => pageOfHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setPage(pageOfHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return page;
}
