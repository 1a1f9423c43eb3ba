// Sharing a session: its viewer link and the same link as a QR code, for
// students to follow on their own devices. The encoder is vendored and
// loaded only when the dialog opens.

import { $ } from './dom.js';

export async function openShare(url) {
  const dialog = $('#share-dialog');
  const link = $('#share-link');
  link.href = url;
  link.textContent = url;
  // A loopback address reaches only this computer: say so, and how to
  // serve the room instead.
  const host = new URL(url).hostname;
  $('#share-local').hidden = !(host === 'localhost' || host === '[::1]' || host.startsWith('127.'));
  const qr = $('#qr');
  qr.textContent = '';
  try {
    const { renderSVG } = await import('../vendor/uqr.js');
    qr.innerHTML = renderSVG(url, { ecc: 'M', border: 2, pixelSize: 8 });
    const svg = qr.querySelector('svg');
    if (svg) svg.setAttribute('aria-label', `QR code of ${url}`);
  } catch {
    qr.textContent = 'the QR code could not be drawn; use the link';
  }
  if (!dialog.open) dialog.showModal();
}
