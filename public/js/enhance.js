// Progressive enhancement for every page: links and form posts are fetched
// and the new page's <body> replaces the current one, so nothing reloads.
// Without JavaScript the same links and forms work as plain HTML; the
// server answers both the same way (302 after success, the page with a
// GOV.UK error summary after a mistake). New islands are hydrated after
// each swap.
let navigation = 0;
// The address of the document shown (without its fragment): a history step
// that changes only the fragment (a skip link, a contents link) is the
// browser's to follow, and fires popstate too.
let shown = withoutHash(window.location.href);

function withoutHash(href) {
  const url = new URL(href);
  url.hash = "";
  return url.href;
}

function sameSite(url) {
  return url.origin === window.location.origin;
}

function hydrateNewIslands() {
  if (typeof window.__hydrateIsland !== "function") return;
  for (const island of document.querySelectorAll("leptos-island")) {
    if (!island.$$hydrated) {
      island.$$hydrated = true;
      window.__hydrateIsland(island, island.dataset.component);
    }
  }
}

async function visit(request, { replace = false } = {}) {
  const current = ++navigation;
  let response;
  try {
    response = await fetch(request);
  } catch {
    window.location.assign(request.url);
    return;
  }
  const type = response.headers.get("content-type") || "";
  if (!type.includes("text/html")) {
    window.location.assign(response.url);
    return;
  }
  const html = await response.text();
  if (current !== navigation) return;
  const doc = new DOMParser().parseFromString(html, "text/html");
  document.title = doc.title;
  document.body.replaceWith(document.adoptNode(doc.body));
  // The fragment asked for is kept (a response's URL has none).
  const asked = new URL(request.url);
  const landed = new URL(response.url || request.url);
  if (asked.hash && withoutHash(asked.href) === landed.href) landed.hash = asked.hash;
  const url = landed.href;
  if (replace) {
    window.history.replaceState({ enhanced: true }, "", url);
  } else if (url !== window.location.href) {
    window.history.pushState({ enhanced: true }, "", url);
  }
  shown = withoutHash(url);
  // Where a sighted user's eyes go, the focus goes: the error summary when
  // there is one (as GOV.UK Frontend does), otherwise the top of the page.
  const summary = document.querySelector(".govuk-error-summary");
  const target = landed.hash && document.getElementById(decodeURIComponent(landed.hash.slice(1)));
  window.scrollTo(0, 0);
  if (target && !summary) {
    target.scrollIntoView();
  } else if (summary) {
    summary.focus();
  } else {
    const banner = document.querySelector(".govuk-notification-banner");
    if (banner) banner.setAttribute("tabindex", "-1"), banner.focus();
  }
  hydrateNewIslands();
}

document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest("a[href]");
  if (!link || link.target || link.hasAttribute("download")) return;
  const url = new URL(link.href, window.location.href);
  if (!sameSite(url)) return;
  if (url.hash && url.pathname === window.location.pathname && url.search === window.location.search) return;
  if (url.pathname.startsWith("/assets/") || url.pathname.startsWith("/pkg/")) return;
  event.preventDefault();
  visit(new Request(url, { headers: { Accept: "text/html" } }));
});

document.addEventListener("submit", (event) => {
  if (event.defaultPrevented) return;
  const form = event.target;
  // A form an island handles itself, once that island is hydrated.
  if (form.hasAttribute("data-island-form") && form.closest("[data-hydrated]")) return;
  const method = (form.getAttribute("method") || "get").toUpperCase();
  const url = new URL(form.getAttribute("action") || window.location.href, window.location.href);
  if (!sameSite(url) || (method !== "GET" && method !== "POST")) return;
  event.preventDefault();
  const fields = new FormData(form, event.submitter);
  const data = new URLSearchParams(fields);
  if (method === "GET") {
    url.search = data.toString();
    visit(new Request(url, { headers: { Accept: "text/html" } }));
  } else if (form.enctype === "multipart/form-data") {
    // A file upload goes as the browser would send it (fetch writes the
    // multipart boundary); URLSearchParams would send only the file's name.
    visit(new Request(url, { method: "POST", body: fields, headers: { Accept: "text/html" } }));
  } else {
    visit(new Request(url, { method: "POST", body: data, headers: { Accept: "text/html" } }));
  }
});

window.addEventListener("popstate", () => {
  if (withoutHash(window.location.href) === shown) return;
  visit(new Request(window.location.href, { headers: { Accept: "text/html" } }), { replace: true });
});
