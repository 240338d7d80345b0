// Sign-in: a static user's name and password (HTTP Basic) or an OIDC access token (Bearer), checked with GET /api/whoami.
import { getJson } from '../api.js';
import { basicCredential, bearerCredential, signIn, signOut } from '../credential.js';
import { field, h, replace } from '../dom.js';

export function mount(main, { message, onSignedIn }) {
  const error = h('div', { class: 'messages' });
  const methodPassword = h('input', { type: 'radio', name: 'method', value: 'password', checked: true });
  const methodToken = h('input', { type: 'radio', name: 'method', value: 'token' });
  const user = h('input', { type: 'text', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  const token = h('textarea', { name: 'token', rows: '4', autocomplete: 'off', spellcheck: 'false' });
  const remember = h('input', { type: 'checkbox', name: 'remember' });
  const submit = h('button', { type: 'submit', class: 'button primary' }, 'Sign in');

  const passwordFields = h('div', { class: 'method-fields' }, field('User name', user), field('Password', password));
  const tokenFields = h(
    'div',
    { class: 'method-fields', hidden: true },
    field('Access token', token, 'An OIDC access token from your identity provider, such as the one `sluice login` prints.'),
  );
  const showMethod = () => {
    const byToken = methodToken.checked;
    passwordFields.hidden = byToken;
    tokenFields.hidden = !byToken;
    user.required = password.required = !byToken;
    token.required = byToken;
  };
  methodPassword.addEventListener('change', showMethod);
  methodToken.addEventListener('change', showMethod);
  showMethod();

  // method="post" and the CSP's form-action 'none': even without this script the password never lands in a URL.
  const form = h(
    'form',
    { class: 'card sign-in', method: 'post', novalidate: false, 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in to the Sluice console'),
    h(
      'fieldset',
      { class: 'choice' },
      h('legend', {}, 'Sign in with'),
      h('label', {}, methodPassword, ' User name and password'),
      h('label', {}, methodToken, ' Access token (OIDC)'),
    ),
    passwordFields,
    tokenFields,
    h('label', { class: 'checkbox' }, remember, ' Stay signed in in this tab until it closes'),
    h(
      'p',
      { class: 'hint' },
      'Your credential stays in this tab: it is sent only in the Authorization header of requests to this admin API, never in a link or a cookie.',
    ),
    error,
    submit,
  );

  // Shown here; the page's live region (announce) reads it out.
  if (message) replace(error, h('p', { class: 'notice' }, message));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const byToken = methodToken.checked;
    if (byToken ? !token.value.trim() : !user.value || !password.value) {
      replace(error, h('p', { class: 'notice error', role: 'alert' }, byToken ? 'Enter an access token.' : 'Enter your user name and password.'));
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    signIn(byToken ? bearerCredential(token.value) : basicCredential(user.value, password.value), { rememberInTab: remember.checked });
    try {
      const { identity } = await getJson('/api/whoami');
      password.value = '';
      token.value = '';
      await onSignedIn(identity);
    } catch (failure) {
      signOut();
      const text =
        failure.status === 401
          ? byToken
            ? `The token was not accepted: ${failure.message}`
            : 'The user name or password is not right.'
          : failure.message;
      replace(error, h('p', { class: 'notice error', role: 'alert' }, text));
      submit.disabled = false;
      submit.textContent = 'Sign in';
      (byToken ? token : password).focus();
    }
  });

  replace(main, h('div', { class: 'sign-in-wrap' }, form));
  user.focus();
}
