// Small DOM helpers shared by the panels.

// Run `update` (which rebuilds part of `root`) without losing the keyboard focus: the element
// with the same data-testid gets it back, so a list re-rendered by a live event does not throw
// an operator tabbing through it back to the top of the page.
export function keepFocus(root, update) {
  const active = document.activeElement;
  const testid = active && root.contains(active) ? active.getAttribute('data-testid') : null;
  update();
  if (!testid || root.contains(active)) return;
  const again = root.querySelector(`[data-testid="${testid}"]`);
  if (again) again.focus();
}
