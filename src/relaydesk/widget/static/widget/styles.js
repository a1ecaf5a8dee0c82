// relaydesk chat widget: the stylesheet of its Shadow DOM.

import { settings } from "./config.js";

export const STYLES = `
:host { all: initial; }
* { box-sizing: border-box; }
.rd-root { --rd-primary: ${/^#[0-9a-f]{3,8}$/i.test(settings.primaryColor || "") ? settings.primaryColor : "#4f46e5"};
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: #1f2937; letter-spacing: normal; }
button, input, textarea, select { font: inherit; color: inherit; letter-spacing: normal; }
.rd-launcher { position: fixed; right: 20px; bottom: 20px; width: 58px; height: 58px; border-radius: 50%;
  border: 0; background: var(--rd-primary); color: #fff; cursor: pointer; z-index: 2147483000;
  box-shadow: 0 6px 20px rgba(0,0,0,.22); display: flex; align-items: center; justify-content: center; }
.rd-launcher svg { width: 28px; height: 28px; fill: currentColor; }
.rd-badge { position: absolute; top: -4px; right: -4px; min-width: 20px; height: 20px; border-radius: 10px;
  background: #ef4444; color: #fff; font-size: 12px; line-height: 20px; text-align: center; padding: 0 5px; }
.rd-badge[hidden] { display: none; }
.rd-panel { position: fixed; right: 20px; bottom: 92px; width: 380px; height: min(640px, calc(100vh - 112px));
  background: #fff; border-radius: 16px; box-shadow: 0 12px 40px rgba(0,0,0,.25); z-index: 2147483000;
  display: flex; flex-direction: column; overflow: hidden; }
.rd-panel[hidden] { display: none; }
@media (max-width: 480px) { .rd-panel { right: 0; bottom: 0; width: 100vw; height: 100vh; border-radius: 0; } }
.rd-header { background: var(--rd-primary); color: #fff; padding: 12px 14px; display: flex; align-items: center; gap: 8px; }
.rd-heading { flex: 1; min-width: 0; }
.rd-title { font-weight: 600; font-size: 15px; }
.rd-subtitle { font-size: 12px; opacity: .85; }
.rd-human { background: rgba(255,255,255,.18); color: #fff; border: 1px solid rgba(255,255,255,.5);
  border-radius: 999px; padding: 4px 10px; cursor: pointer; font-size: 12px; white-space: nowrap; }
.rd-human[hidden] { display: none; }
.rd-close { background: transparent; border: 0; color: #fff; font-size: 22px; cursor: pointer; line-height: 1; padding: 0 4px; }
.rd-notice { background: #fef3c7; color: #92400e; font-size: 12.5px; padding: 7px 14px; }
.rd-notice.rd-error { background: #fee2e2; color: #991b1b; }
.rd-notice[hidden] { display: none; }
.rd-messages { flex: 1; overflow-y: auto; padding: 14px; background: #f8fafc; display: flex; flex-direction: column; gap: 6px; }
.rd-row { display: flex; flex-direction: column; max-width: 100%; }
.rd-row.rd-me { align-items: flex-end; }
.rd-row.rd-them { align-items: flex-start; }
.rd-row.rd-system { align-items: center; }
.rd-who { font-size: 11px; color: #6b7280; margin: 6px 4px 2px; }
.rd-bubble { max-width: 82%; padding: 8px 12px; border-radius: 16px; white-space: pre-wrap; overflow-wrap: anywhere; }
.rd-me .rd-bubble { background: var(--rd-primary); color: #fff; border-bottom-right-radius: 4px; }
.rd-them .rd-bubble { background: #fff; border: 1px solid #e5e7eb; border-bottom-left-radius: 4px; }
.rd-away { padding: 8px 14px; background: #fef3c7; color: #92400e; font-size: 13px; border-bottom: 1px solid #fde68a; }
.rd-rating { display: flex; flex-direction: column; align-items: center; gap: 6px; margin-top: 6px; }
.rd-stars { display: flex; gap: 2px; }
.rd-star { border: 0; background: none; font-size: 24px; line-height: 1; color: #d1d5db; cursor: pointer; padding: 2px; }
.rd-star.rd-on { color: #f59e0b; }
.rd-rating-comment { width: 90%; font: inherit; border: 1px solid #e5e7eb; border-radius: 8px; padding: 6px; resize: none; }
.rd-rating-send { border: 0; border-radius: 8px; padding: 6px 12px; background: var(--rd-primary); color: #fff; cursor: pointer; }
.rd-rating-send:disabled { opacity: 0.5; cursor: default; }
.rd-rated { color: #3730a3; font-size: 13px; }
.rd-system .rd-bubble { background: #eef2ff; color: #3730a3; font-size: 13px; text-align: center; max-width: 92%; }
.rd-bubble.rd-html { white-space: normal; }
.rd-bubble.rd-html > :first-child { margin-top: 0; }
.rd-bubble.rd-html > :last-child { margin-bottom: 0; }
.rd-bubble.rd-html img { max-width: 100%; height: auto; }
.rd-bubble.rd-html table { border-collapse: collapse; }
.rd-bubble.rd-html td, .rd-bubble.rd-html th { border: 1px solid #e5e7eb; padding: 2px 6px; }
.rd-me .rd-bubble a { color: #fff; }
.rd-pending { opacity: .6; }
.rd-failed .rd-bubble { background: #fecaca; color: #7f1d1d; cursor: pointer; }
.rd-rich { margin-top: 4px; max-width: 92%; display: flex; flex-wrap: wrap; gap: 6px; }
.rd-btn { display: inline-flex; align-items: center; gap: 4px; border: 1px solid var(--rd-primary); color: var(--rd-primary);
  background: #fff; border-radius: 999px; padding: 5px 12px; cursor: pointer; text-decoration: none; font-size: 13px; }
.rd-btn:hover { background: var(--rd-primary); color: #fff; }
.rd-btn.rd-solid { background: var(--rd-primary); color: #fff; }
.rd-btn[disabled] { opacity: .5; cursor: default; }
.rd-carousel { display: flex; gap: 10px; overflow-x: auto; max-width: 100%; padding-bottom: 6px; scroll-snap-type: x mandatory; flex-wrap: nowrap; }
.rd-card { flex: 0 0 230px; background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; overflow: hidden; scroll-snap-align: start; display: flex; flex-direction: column; }
.rd-card-img { position: relative; height: 130px; background: #e5e7eb; }
.rd-card-img img { width: 100%; height: 100%; object-fit: cover; display: block; }
.rd-overlay { position: absolute; left: 8px; bottom: 8px; background: rgba(0,0,0,.65); color: #fff; border-radius: 6px; padding: 2px 8px; font-size: 12px; }
.rd-card-body { padding: 10px 12px; flex: 1; }
.rd-card-title { font-weight: 600; display: flex; justify-content: space-between; gap: 6px; }
.rd-card-sub { color: #4b5563; font-size: 13px; }
.rd-card-desc { color: #6b7280; font-size: 12.5px; margin-top: 4px; }
.rd-card-buttons { display: flex; flex-direction: column; border-top: 1px solid #e5e7eb; }
.rd-card-buttons .rd-btn { border: 0; border-radius: 0; justify-content: center; padding: 8px; }
.rd-card-buttons .rd-btn + .rd-btn { border-top: 1px solid #e5e7eb; }
.rd-list { background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; overflow: hidden; width: 290px; }
.rd-list-header img { width: 100%; height: 110px; object-fit: cover; display: block; }
.rd-list-title { font-weight: 600; padding: 8px 12px; border-bottom: 1px solid #e5e7eb; }
.rd-list-item { display: flex; gap: 10px; padding: 8px 12px; border-bottom: 1px solid #f1f5f9; cursor: default; text-align: left; width: 100%; background: #fff; border-left: 0; border-right: 0; border-top: 0; }
.rd-list-item.rd-clickable { cursor: pointer; }
.rd-list-item.rd-clickable:hover { background: #f8fafc; }
.rd-list-item img { width: 44px; height: 44px; border-radius: 8px; object-fit: cover; flex: none; }
.rd-list-text { min-width: 0; }
.rd-list-item-title { font-weight: 600; font-size: 13.5px; }
.rd-list-item-desc { color: #6b7280; font-size: 12.5px; }
.rd-list-buttons { display: flex; flex-wrap: wrap; gap: 6px; padding: 8px 12px; }
.rd-figure { margin: 0; background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; overflow: hidden; max-width: 260px; }
.rd-figure img, .rd-figure video { display: block; width: 100%; max-height: 240px; object-fit: cover; background: #111; }
.rd-figure iframe { display: block; width: 260px; height: 150px; border: 0; }
.rd-figure figcaption { padding: 6px 10px; font-size: 12.5px; color: #4b5563; }
.rd-form { background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; padding: 12px; width: 290px; display: flex; flex-direction: column; gap: 8px; }
.rd-form fieldset { border: 0; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 8px; min-width: 0; }
.rd-field { display: flex; flex-direction: column; gap: 3px; }
.rd-label { font-size: 12.5px; font-weight: 600; color: #374151; }
.rd-input { border: 1px solid #d1d5db; border-radius: 8px; padding: 6px 8px; background: #fff; width: 100%; }
.rd-input:focus { outline: 2px solid var(--rd-primary); outline-offset: -1px; }
.rd-option { display: flex; align-items: center; gap: 6px; font-size: 13px; }
.rd-field-error { color: #b91c1c; font-size: 12px; }
.rd-field-error:empty { display: none; }
.rd-invalid .rd-input { border-color: #dc2626; }
.rd-file { display: inline-flex; gap: 6px; align-items: center; background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; padding: 8px 12px; color: #1f2937; text-decoration: none; max-width: 82%; }
.rd-attachment-img { max-width: 220px; max-height: 220px; border-radius: 12px; display: block; border: 1px solid #e5e7eb; }
.rd-location { display: inline-flex; gap: 6px; align-items: center; background: #fff; border: 1px solid #e5e7eb; border-radius: 12px; padding: 8px 12px; color: #1f2937; text-decoration: none; }
.rd-seen { font-size: 11px; color: #6b7280; text-align: right; margin-top: 2px; }
.rd-typing { font-size: 12px; color: #6b7280; padding: 0 16px 4px; background: #f8fafc; min-height: 18px; }
.rd-composer { display: flex; align-items: flex-end; gap: 6px; border-top: 1px solid #e5e7eb; padding: 8px; background: #fff; }
.rd-icon { background: transparent; border: 0; cursor: pointer; padding: 6px; border-radius: 8px; color: #6b7280; line-height: 0; }
.rd-icon:hover { background: #f3f4f6; }
.rd-icon svg { width: 20px; height: 20px; fill: currentColor; }
.rd-input-text { flex: 1; resize: none; border: 1px solid #e5e7eb; border-radius: 12px; padding: 8px 10px; max-height: 120px; min-height: 38px; outline: none; }
.rd-input-text:focus { border-color: var(--rd-primary); }
.rd-send { background: var(--rd-primary); color: #fff; border: 0; border-radius: 12px; padding: 8px 14px; cursor: pointer; font-weight: 600; }
`;
