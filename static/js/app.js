// Small enhancements: every page works without them.
"use strict";

// A part of a form's page made by the server from some of its fields (a series' dates,
// a message as it will read), fetched again as those fields change. Its summary (the
// elements marked data-live-summary) is read out by the live region next to it.
function watchLive(part) {
  const form = part.closest("form");
  const names = part.dataset.liveFields.split(" ");
  const said = document.getElementById(part.dataset.liveSaid);
  let timer = null;
  let asked = 0;
  async function refresh() {
    const fields = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (names.includes(name) || name === "csrf_token") fields.append(name, value);
    }
    const ticket = ++asked;
    const post = part.dataset.liveMethod === "post";
    try {
      const answer = await fetch(post ? part.dataset.liveUrl : `${part.dataset.liveUrl}?${fields}`, {
        method: post ? "POST" : "GET",
        body: post ? fields : undefined,
        headers: { Accept: "text/html" },
        credentials: "same-origin",
      });
      // An older answer arriving late must not replace a newer one; a log-in page (the
      // session ended) is not a preview.
      if (!answer.ok || answer.redirected || ticket !== asked) return;
      part.innerHTML = await answer.text();
      const summary = [...part.querySelectorAll("[data-live-summary]")];
      said.textContent = summary.map((element) => element.textContent.trim()).join(" ");
    } catch (error) {
      // Offline for a moment: the form's own preview button still works.
    }
  }
  function later(event) {
    if (!names.includes(event.target.name)) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
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

// The API reference's "Try a call": sends the request with the key typed in (never kept)
// and shows the answer; each route's "Try it" fills the form in.
function watchTry(panel) {
  const field = (name) => document.getElementById(`try-${name}`);
  const status = field("status");
  panel.hidden = false;
  panel.querySelector("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const headers = { Accept: "application/json" };
    if (field("key").value.trim()) headers.Authorization = `Bearer ${field("key").value.trim()}`;
    if (field("if-match").value.trim()) headers["If-Match"] = field("if-match").value.trim();
    const method = field("method").value;
    const options = { method, headers, credentials: "omit" };
    if (method !== "GET" && field("body").value.trim()) {
      headers["Content-Type"] = "application/json";
      options.body = field("body").value;
    }
    try {
      const answer = await fetch(field("path").value, options);
      const text = await answer.text();
      let shown = text;
      try {
        shown = JSON.stringify(JSON.parse(text), null, 2);
      } catch (error) {
        // not JSON: shown as it came
      }
      const etag = answer.headers.get("ETag");
      status.textContent = `${answer.status} ${answer.statusText}${etag ? ` — ETag ${etag}` : ""}`;
      field("answer").textContent = shown;
    } catch (error) {
      status.textContent = status.dataset.failed;
    }
  });
  document.querySelectorAll("button[data-try-method]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => {
      field("method").value = button.dataset.tryMethod;
      field("path").value = button.dataset.tryPath;
      field("body").value = button.dataset.tryBody
        ? JSON.stringify(JSON.parse(button.dataset.tryBody), null, 2) : "";
      panel.scrollIntoView();
      field("path").focus();
    });
  });
}

document.querySelectorAll("[data-try]").forEach(watchTry);
document.querySelectorAll("[data-live-url]").forEach(watchLive);
document.querySelectorAll("button[data-copy]").forEach(watchCopy);
