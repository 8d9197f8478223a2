// Registration: the enterprise fields concern merchant agents only, so they show once "merchant" is
// chosen. Without this script they stay visible, grouped and labelled for merchant agents only.
(function () {
  "use strict";
  var group = document.getElementById("merchant-only");
  var roles = document.querySelectorAll('input[name="role"][type="radio"]');
  if (!group || !roles.length) { return; }

  function show() {
    var merchant = document.querySelector('input[name="role"][value="merchant"]');
    group.hidden = !(merchant && merchant.checked);
  }

  for (var i = 0; i < roles.length; i += 1) { roles[i].addEventListener("change", show); }
  show();
}());
