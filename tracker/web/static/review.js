// The review queue, enhanced: keyboard shortcuts over its cards (the legend on the page lists
// them). Every shortcut only selects, fills or submits the card's own forms, so the page works
// the same without this script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const cards = Array.from(document.querySelectorAll("article.proposal, article.needs-outcome"));
  if (!cards.length) return;
  for (const card of cards) card.tabIndex = -1; // focusable by the script, not by Tab
  let index = 0;

  const focusCard = (next, scroll = true) => {
    index = Math.max(0, Math.min(cards.length - 1, next));
    for (const card of cards) card.classList.remove("current");
    const card = cards[index];
    card.classList.add("current");
    card.focus({ preventScroll: true });
    if (scroll) card.scrollIntoView({ block: "start" });
  };

  const current = () => cards[index];

  // confirm with `value` ("" = as proposed); on a needs-an-outcome card, pick it and go to the note
  const decide = (value) => {
    const card = current();
    const resolve = card.querySelector("form.resolve-form");
    if (resolve) {
      if (!value) return; // nothing was proposed: the analyst picks the outcome
      const radio = resolve.querySelector(`input[name=outcome][value="${value}"]`);
      radio.checked = true;
      resolve.querySelector("textarea[name=note]").focus();
      return;
    }
    const form = card.querySelector("form.confirm-form");
    if (!form) return;
    // the proposed outcome has no radio of its own: it is "as proposed"
    const wanted = value === form.dataset.proposed ? "" : value;
    const radio = form.querySelector(`input[name=outcome][value="${wanted}"]`);
    if (!radio) return; // "as proposed" on a card that proposes nothing
    radio.checked = true;
    form.requestSubmit();
  };

  const reject = () => {
    const note = current().querySelector("form.reject-form textarea[name=note]");
    if (note) note.focus();
  };

  const toggleSelected = () => {
    const box = current().querySelector("input[type=checkbox][name=proposal]");
    if (box) box.checked = !box.checked;
  };

  const openArticle = () => {
    const link = current().querySelector(".evidence .article-title a[href]");
    if (link) window.open(link.href, "_blank", "noopener");
  };

  const keys = {
    j: () => focusCard(index + 1),
    k: () => focusCard(index - 1),
    c: () => decide(""),
    y: () => decide("yes"),
    n: () => decide("no"),
    r: reject,
    x: toggleSelected,
    o: openArticle,
  };

  const typing = (target) => target.closest("textarea, input[type=text], input:not([type]), select");

  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.metaKey) return;
    const field = typing(event.target);
    if (field) {
      if (event.key === "Escape") {
        focusCard(index);
      } else if (event.key === "Enter" && event.ctrlKey && field.form) {
        event.preventDefault();
        field.form.requestSubmit();
      }
      return;
    }
    if (event.ctrlKey) return;
    const action = keys[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  for (const [n, card] of cards.entries()) {
    card.addEventListener("focusin", () => {
      index = n;
      for (const other of cards) other.classList.toggle("current", other === card);
    });
  }
  focusCard(0, false);
});
