// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // The sign-in form sends the browser's time zone so dates show in the user's own time.
  const zone = document.getElementById("tz");
  if (zone) {
    try { zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone.value = ""; }
  }
  // Choosing a case type shows its form at once (the "show its form" button does the same).
  document.querySelectorAll("select[data-submit-on-change]").forEach((select) => {
    select.addEventListener("change", () => {
      const button = select.form.querySelector(`button[name="${select.dataset.submitOnChange}"]`);
      if (button) { select.form.requestSubmit(button); }
    });
  });
  // A macro's text (already filled in for this customer by the API) is added to the comment at once;
  // without script the button asks the server to do the same.
  document.querySelectorAll("button[data-macro-text]").forEach((button) => {
    button.addEventListener("click", (event) => {
      const target = document.getElementById(button.dataset.target);
      if (!target) { return; }
      event.preventDefault();
      const before = target.value.replace(/\s+$/, "");
      target.value = (before ? before + "\n" : "") + button.dataset.macroText;
      target.focus();
      target.setSelectionRange(target.value.length, target.value.length);
    });
  });
});

// "Copy" buttons (hidden without script: the field can be selected and copied by hand).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button[data-copy]").forEach((button) => {
    const field = document.getElementById(button.dataset.copy);
    const status = button.parentElement.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", async () => {
      field.select();
      try { await navigator.clipboard.writeText(field.value); } catch (e) { document.execCommand("copy"); }
      if (status) { status.textContent = button.dataset.copied; }
    });
  });
});

// A report's .xlsx arrives while the server writes it: show how much has come so far, then save it.
// Without script (or without streams) the link downloads the file as any link does.
document.addEventListener("DOMContentLoaded", () => {
  const language = document.documentElement.lang || "en";
  const kilobytes = new Intl.NumberFormat(language, { style: "unit", unit: "kilobyte", maximumFractionDigits: 0 });
  document.querySelectorAll("a[data-progress]").forEach((link) => {
    const status = document.getElementById(link.dataset.progress);
    if (!status || !window.ReadableStream || !window.fetch) { return; }
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      if (link.getAttribute("aria-disabled") === "true") { return; }
      link.setAttribute("aria-disabled", "true");
      const say = (template, bytes) => { status.textContent = template.replace("%(size)s", kilobytes.format(bytes / 1024)); };
      try {
        const response = await fetch(link.href, { credentials: "same-origin" });
        if (!response.ok) { throw new Error(String(response.status)); }
        const reader = response.body.getReader();
        const parts = [];
        let received = 0;
        say(link.dataset.receiving, 0);
        for (;;) {
          const { done, value } = await reader.read();
          if (done) { break; }
          parts.push(value);
          received += value.length;
          say(link.dataset.receiving, received);
        }
        const blob = new Blob(parts, { type: response.headers.get("Content-Type") || "application/octet-stream" });
        const save = document.createElement("a");
        save.href = URL.createObjectURL(blob);
        save.download = link.getAttribute("download") || "report.xlsx";
        document.body.appendChild(save);
        save.click();
        save.remove();
        setTimeout(() => URL.revokeObjectURL(save.href), 60000);
        say(link.dataset.done, received);
      } catch (error) {
        status.textContent = link.dataset.failed;
      } finally {
        link.removeAttribute("aria-disabled");
      }
    });
  });
});

// The follow-up form's people finder: Enter in the name field looks people up; Enter anywhere else in
// the form schedules (without script, Enter looks people up, which keeps everything typed).
document.addEventListener("DOMContentLoaded", () => {
  const finder = document.getElementById("f-people_q");
  if (!finder) { return; }
  const form = finder.form;
  const find = form.querySelector("button[name=find_people]");
  const schedule = form.querySelector(".actions button[type=submit]");
  form.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.target.tagName !== "INPUT") { return; }
    event.preventDefault();
    form.requestSubmit(event.target === finder ? find : schedule);
  });
});
