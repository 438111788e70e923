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
