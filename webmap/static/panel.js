/* The side panel folds away on a narrow screen: the button below it shows or hides all but
   its title, and the map takes the room (templates/panel_toggle.html). */
(function () {
  "use strict";
  var button = document.querySelector(".cm-panel-toggle");
  var panel = document.querySelector(".cm-panel");
  if (!button || !panel) { return; }
  if (!panel.id) { panel.id = "cm-panel"; }
  button.setAttribute("aria-controls", panel.id);
  button.hidden = false;
  button.addEventListener("click", function () {
    var folded = panel.classList.toggle("cm-folded");
    button.setAttribute("aria-expanded", String(!folded));
    button.textContent = folded ? button.dataset.unfold : button.dataset.fold;
    if (window.clustermapMap) { window.clustermapMap.invalidateSize(); }
  });
})();
