// Live pages (platform/push.py, docs/push.md). An element with data-live-src is re-read from that address
// when the push stream named by <meta name="siaga-push"> says one of its data-live-topics changed; without a
// stream, every 15 s. Elements with data-since="ISO 8601" count the time since, as m:ss.
// Without this script the page is the whole server-rendered page, and a reload shows the truth.
(() => {
  "use strict";
  const FALLBACK_MS = 15000;
  let clockOffset = 0;  // the server's clock minus this one, from the Date of the last re-read
  let polling = null;

  const liveElements = () => Array.from(document.querySelectorAll("[data-live-src]"));
  const topicsOf = (element) => (element.dataset.liveTopics || "").split(/\s+/).filter(Boolean);

  function refreshAll(topic) {
    for (const element of liveElements()) {
      if (topic === null || topicsOf(element).includes(topic)) refresh(element);
    }
  }

  // One re-read at a time per element; a change heard meanwhile is read once more after it.
  async function refresh(element) {
    if (element.liveBusy) {
      element.liveAgain = true;
      return;
    }
    element.liveBusy = true;
    try {
      do {
        element.liveAgain = false;
        const response = await fetch(element.dataset.liveSrc, {
          credentials: "same-origin", cache: "no-store", headers: {"X-Requested-With": "fetch"},
        });
        // Signed out or refused (a redirect to the sign-in page, a 403): keep what is shown; a reload explains.
        if (!response.ok || response.redirected) break;
        noteServerClock(response);
        replaceContent(element, await response.text());
      } while (element.liveAgain);
    } catch (error) {
      // The network is away: the next event or the next tick tries again.
    } finally {
      element.liveBusy = false;
    }
  }

  function replaceContent(element, html) {
    // Focus outside the element stays where it is (innerHTML leaves it alone); focus inside would fall to the
    // top of the page, so it goes to the new copy of the same element.
    const focused = document.activeElement;
    const inside = focused && focused !== element && element.contains(focused) ? focused.id : "";
    element.innerHTML = html;
    if (inside) document.getElementById(inside)?.focus({preventScroll: true});
    showElapsed();
  }

  function noteServerClock(response) {
    const date = Date.parse(response.headers.get("Date") || "");
    if (!Number.isNaN(date)) clockOffset = date - Date.now();
  }

  function startPolling() {
    if (polling === null) polling = setInterval(() => refreshAll(null), FALLBACK_MS);
  }

  function stopPolling() {
    if (polling !== null) clearInterval(polling);
    polling = null;
  }

  function follow(url) {
    const source = new EventSource(url);
    // Opened or opened again: whatever changed before (since the page was rendered, or while the stream
    // was down) was not heard, so everything is read once.
    source.addEventListener("open", () => {
      stopPolling();
      refreshAll(null);
    });
    source.addEventListener("message", (event) => {
      let topic;
      try {
        topic = JSON.parse(event.data).topic;
      } catch (error) {
        return;
      }
      if (typeof topic === "string") refreshAll(topic);
    });
    source.addEventListener("resync", () => refreshAll(null));
    // The browser opens the stream again by itself (the server's retry: hint), or gives up for good (a
    // refused token): either way the page keeps reading on the timer meanwhile.
    source.addEventListener("error", startPolling);
  }

  function elapsed(since, now) {
    const seconds = Math.max(0, Math.floor((now - since) / 1000));
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function showElapsed() {
    const now = Date.now() + clockOffset;
    for (const element of document.querySelectorAll("[data-since]")) {
      const since = Date.parse(element.dataset.since);
      if (!Number.isNaN(since)) element.textContent = elapsed(since, now);
    }
  }

  function start() {
    setInterval(showElapsed, 1000);
    if (liveElements().length === 0) return;
    const stream = document.querySelector('meta[name="siaga-push"]')?.content;
    if (stream && "EventSource" in window) {
      follow(stream);
    } else {
      startPolling();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
