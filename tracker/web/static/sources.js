// The New source page, enhanced: working on a candidate shows its sentence in the article, and
// clicking a marked sentence goes to its candidate. The page works without this script.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const article = document.getElementById("article-text");
  if (!article) return;
  let current = null;
  const show = (number) => {
    const mark = document.getElementById(`quote-${number}`);
    if (current) current.classList.remove("current");
    current = mark;
    if (!mark) return;
    mark.classList.add("current");
    const box = article.parentElement;
    // the sticky box is the mark's offset parent
    box.scrollTo({ top: mark.offsetTop - box.clientHeight / 3, behavior: "smooth" });
  };
  for (const item of document.querySelectorAll("li.candidate")) {
    item.addEventListener("focusin", () => show(item.dataset.candidate));
  }
  article.addEventListener("click", (event) => {
    const mark = event.target.closest("mark[data-candidate]");
    if (!mark) return;
    event.preventDefault();
    const item = document.getElementById(`candidate-${mark.dataset.candidate}`);
    item.scrollIntoView({ behavior: "smooth", block: "start" });
    item.querySelector("input[type=checkbox]").focus({ preventScroll: true });
  });
});
