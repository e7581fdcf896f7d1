/**
 * Entry of the web admin's browser bundle (appliance/build.mjs → /assets/app.js): the
 * server's page has an empty <div id="app">; everything inside is rendered here.
 */
import { render } from 'preact';
import { App } from './app';
import { html } from './html';

const root = document.getElementById('app');
if (root !== null) render(html`<${App} />`, root);
