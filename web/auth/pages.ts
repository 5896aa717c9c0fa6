import type { RefusalReason } from './errors.ts';

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A small page of its own: no script, no inline style (the CSP allows neither), nothing from the catalogue. */
function page(title: string, paragraphs: string[], link: { href: string; text: string }): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title><link rel="icon" href="data:,"></head>`,
    '<body>',
    `<main id="auth"><h1>${escapeHtml(title)}</h1>`,
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p><a id="sign-in" href="${escapeHtml(link.href)}">${escapeHtml(link.text)}</a></p>`,
    '</main></body></html>',
  ].join('\n');
}

const WHY: Record<RefusalReason, string> = {
  NO_SESSION: 'You are not signed in.',
  SESSION_EXPIRED: 'Your session has expired.',
  SESSION_INVALID: 'Your session is not valid for this catalogue.',
  SIGN_IN_FAILED: 'The sign-in did not complete.',
};

/** The page shown instead of the catalogue when a request is refused. */
export function refusedPage(reason: RefusalReason, loginHref: string): string {
  return page(
    'Sign in to open the image catalogue',
    [WHY[reason], 'This catalogue holds a team’s private photos; only its members can open it.'],
    { href: loginHref, text: 'Sign in' },
  );
}

export function signedOutPage(): string {
  return page('You have signed out', ['Your session on this catalogue has ended.'], {
    href: 'login',
    text: 'Sign in again',
  });
}

/** The identity provider is unreachable: not the viewer's fault, and worth a retry. */
export function unavailablePage(): string {
  return page('Sign-in is unavailable', ['The identity provider could not be reached. Try again in a moment.'], {
    href: '/',
    text: 'Try again',
  });
}

/** One value of the `reason` refused responses carry, for scripts and tests. */
export function reasonText(reason: RefusalReason): string {
  return WHY[reason];
}
