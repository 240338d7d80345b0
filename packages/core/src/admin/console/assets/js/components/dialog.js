// A modal confirmation built on <dialog>: focus moves into it, Escape cancels, and focus returns to the button that opened it.
import { h } from '../dom.js';

/**
 * Resolves to false when cancelled, true when confirmed, or the text of the optional comment field
 * (an empty string when it was left blank).
 */
export function confirmDialog({ title, message, details, confirmLabel, danger = false, comment }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = `dialog-title-${Math.random().toString(36).slice(2, 10)}`;
    const commentField = comment ? h('textarea', { id: `${titleId}-comment`, rows: '3', maxlength: '500' }) : null;
    const cancel = h('button', { type: 'button', class: 'button secondary', value: 'cancel' }, 'Cancel');
    const confirm = h('button', { type: 'submit', class: `button ${danger ? 'danger' : 'primary'}`, value: 'confirm' }, confirmLabel);
    const form = h(
      'form',
      { method: 'dialog' },
      h('h2', { id: titleId }, title),
      message ? h('p', {}, message) : null,
      details ?? null,
      commentField ? h('div', { class: 'field' }, h('label', { for: commentField.id }, comment), commentField) : null,
      h('div', { class: 'dialog-actions' }, cancel, confirm),
    );
    const dialog = h('dialog', { 'aria-labelledby': titleId, class: 'dialog' }, form);
    let result = false;
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      result = commentField ? commentField.value.trim() : true;
      dialog.close();
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    (commentField ?? cancel).focus();
  });
}

/** True while a confirmation is open, so auto-refresh does not pull the page out from under it. */
export function dialogOpen() {
  return document.querySelector('dialog[open]') !== null;
}
