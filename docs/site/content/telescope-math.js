// Render the pages' maths offline with the vendored KaTeX: fsdocs writes $…$ as <span class="math">\(…\)</span>
// and $$…$$ as <span class="math">\[…\]</span>.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof renderMathInElement !== "function") return;
  renderMathInElement(document.getElementById("content") || document.body, {
    delimiters: [
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
    ],
    throwOnError: false,
  });
});
