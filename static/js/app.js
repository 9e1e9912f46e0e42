// Small enhancements: every page works without them.
"use strict";

// A series form's dates, fetched again as the fields they depend on change.
function watchPlan(plan) {
  const form = plan.closest("form");
  const names = plan.dataset.planFields.split(" ");
  let timer = null;
  let asked = 0;
  async function refresh() {
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (names.includes(name)) query.append(name, value);
    }
    const ticket = ++asked;
    try {
      const answer = await fetch(`${plan.dataset.planUrl}?${query}`, {
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      // An older answer arriving late must not replace a newer one.
      if (answer.ok && ticket === asked) plan.innerHTML = await answer.text();
    } catch (error) {
      // Offline for a moment: the "Show the dates" button still works.
    }
  }
  function later(event) {
    if (!names.includes(event.target.name)) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
}

// A "Copy" button copies the text of the field it names, and says so.
function watchCopy(button) {
  const source = document.getElementById(button.dataset.copy);
  const status = document.getElementById(button.dataset.copyStatus);
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.value);
    } catch (error) {
      source.select();
      document.execCommand("copy");
    }
    status.textContent = button.dataset.copied;
  });
}

document.querySelectorAll("[data-plan-url]").forEach(watchPlan);
document.querySelectorAll("button[data-copy]").forEach(watchCopy);
