/** htm bound to preact: tagged templates instead of JSX (no JSX build step, CSP-safe). */
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
