// The login form, which doubles as the registration form.

import { byId, setText } from '../dom.js';

/**
 * @typedef {object} LoginHooks
 * @property {(username: string, password: string) => Promise<void>} login
 * @property {(username: string, password: string, displayName: string) => Promise<void>} register
 */

export class LoginForm {
  /** @param {LoginHooks} hooks */
  constructor(hooks) {
    this.hooks = hooks;
    this.form = byId('login-form', HTMLFormElement);
    this.username = byId('login-username', HTMLInputElement);
    this.password = byId('login-password', HTMLInputElement);
    this.displayName = byId('login-display-name', HTMLInputElement);
    this.displayField = byId('display-name-field', HTMLElement);
    this.error = byId('login-error', HTMLElement);
    this.submit = byId('login-submit', HTMLButtonElement);
    this.title = byId('login-title', HTMLElement);
    this.switchButton = byId('switch-mode', HTMLButtonElement);
    this.switchPrompt = byId('switch-prompt', HTMLElement);
    /** @type {'login'|'register'} */
    this.mode = 'login';
    this.busy = false;
    this.registrationOpen = true;

    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.onSubmit();
    });
    this.switchButton.addEventListener('click', () => {
      this.setMode(this.mode === 'login' ? 'register' : 'login');
      this.username.focus();
    });
  }

  /** @param {'login'|'register'} mode */
  setMode(mode) {
    this.mode = mode;
    const reg = mode === 'register';
    this.displayField.hidden = !reg;
    setText(this.title, reg ? 'Create an account' : 'Log in');
    setText(this.submit, reg ? 'Create account' : 'Log in');
    this.showSwitch();
    setText(this.switchButton, reg ? 'Use an existing account' : 'Register');
    this.password.autocomplete = reg ? 'new-password' : 'current-password';
    this.showError('');
  }

  /**
   * Shows or hides the way to create an account: a server where an admin
   * makes the accounts says so instead.
   * @param {boolean} open
   */
  offerRegistration(open) {
    this.registrationOpen = open;
    if (!open && this.mode === 'register') this.setMode('login');
    else this.showSwitch();
  }

  showSwitch() {
    const reg = this.mode === 'register';
    this.switchButton.hidden = !this.registrationOpen;
    setText(this.switchPrompt, reg ? 'Already have an account?' : this.registrationOpen ? 'New here?' : 'No account? Ask the admin of this server for one.');
  }

  /** @param {string} text */
  showError(text) {
    setText(this.error, text);
    this.form.classList.toggle('has-error', Boolean(text));
  }

  /** Resets the form for a fresh visit. @param {string} [message] */
  reset(message = '') {
    this.password.value = '';
    this.setMode('login');
    this.showError(message);
  }

  focus() {
    (this.username.value ? this.password : this.username).focus();
  }

  async onSubmit() {
    if (this.busy) return;
    const username = this.username.value.trim();
    const password = this.password.value;
    if (!username) {
      this.showError('Enter your username.');
      this.username.focus();
      return;
    }
    if (!password) {
      this.showError('Enter your password.');
      this.password.focus();
      return;
    }
    this.busy = true;
    this.submit.disabled = true;
    this.showError('');
    try {
      if (this.mode === 'register') await this.hooks.register(username, password, this.displayName.value.trim());
      else await this.hooks.login(username, password);
      this.password.value = '';
    } catch (err) {
      this.showError(err instanceof Error ? err.message : 'Something went wrong.');
      this.password.focus();
    } finally {
      this.busy = false;
      this.submit.disabled = false;
    }
  }
}
