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
});
