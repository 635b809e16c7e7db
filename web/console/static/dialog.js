// A modal confirmation: the browser's own <dialog>, so focus stays inside it while it is open
// and returns where it was afterwards; Enter confirms (the confirm button has focus), Esc
// cancels. Used before anything that cannot be taken back: arming, landing, aborting.
import { t } from '/static/i18n.js';

export function confirmDialog({ title, body, confirmLabel, danger = false, testid = 'confirm' }) {
  return new Promise((resolve) => {
    const dialog = document.createElement('dialog');
    dialog.className = `confirm${danger ? ' danger' : ''}`;
    dialog.setAttribute('data-testid', `${testid}-dialog`);
    const form = document.createElement('form');
    form.method = 'dialog';
    const heading = document.createElement('h2');
    heading.textContent = title;
    const text = document.createElement('p');
    text.textContent = body;
    const buttons = document.createElement('div');
    buttons.className = 'dialog-buttons';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.value = 'cancel';
    cancel.textContent = t('dialog.cancel');
    cancel.setAttribute('data-testid', `${testid}-cancel`);
    const confirm = document.createElement('button');
    confirm.type = 'submit';
    confirm.value = 'confirm';
    confirm.className = danger ? 'danger' : 'primary';
    confirm.textContent = confirmLabel || t('dialog.confirm');
    confirm.setAttribute('data-testid', `${testid}-ok`);
    buttons.append(cancel, confirm);
    form.append(heading, text, buttons);
    dialog.append(form);
    dialog.setAttribute('aria-label', title);

    cancel.addEventListener('click', () => dialog.close('cancel'));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    confirm.focus();
  });
}
