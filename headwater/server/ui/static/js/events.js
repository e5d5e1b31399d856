// Events page: while "Live" is on and the first page shows, the page's own HTML is
// fetched again every few seconds and the list swapped in; opened events stay open.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", () => {
    const feed = document.getElementById("event-feed");
    const live = document.getElementById("live-events");
    const stamp = document.getElementById("events-refreshed");
    if (!feed || !live || feed.dataset.paged) return;
    const seconds = parseFloat(feed.dataset.refresh) || 5;
    window.hw.poll(async () => {
      if (!live.checked) return true;
      const next = await window.hw.freshRegion("event-feed");
      if (!next) return true;
      const open = new Set(Array.from(feed.querySelectorAll("li[data-event-id] details[open]"), (d) => d.closest("li").dataset.eventId));
      feed.innerHTML = next.innerHTML;
      for (const li of feed.querySelectorAll("li[data-event-id]")) {
        if (open.has(li.dataset.eventId)) li.querySelector("details").open = true;
      }
      window.hw.localTimes(feed);
      if (stamp) stamp.textContent = `updated ${window.hw.localTime(Date.now() / 1000).slice(11)}`;
      return true;
    }, seconds * 1000);
  });
})();
