// Copy buttons: <button data-copy="text" data-status="id of a role=status element" hidden>.
// Without this script the buttons stay hidden and the text is there to select by hand.
for (const button of document.querySelectorAll('button[data-copy]')) {
  const status = document.getElementById(button.dataset.status);
  const say = (text) => { if (status) status.textContent = text; };
  const selectIt = () => {
    const shown = document.getElementById(button.dataset.target);
    if (!shown) return false;
    const range = document.createRange();
    range.selectNodeContents(shown);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return document.execCommand('copy');
  };
  button.hidden = false;
  button.addEventListener('click', () => {
    const fallback = () => say(selectIt() ? 'Copied.' : 'Selected: press Ctrl+C (⌘C) to copy.');
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(button.dataset.copy).then(() => say('Copied.'), fallback);
    } else {
      fallback();
    }
  });
}
