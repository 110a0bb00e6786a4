export default `
.wb-picker { position: relative; font: 13px/1.4 var(--jp-ui-font-family, system-ui, sans-serif);
  color: var(--jp-ui-font-color1, #222); border: 1px solid var(--jp-border-color2, #ddd);
  border-radius: 6px; padding: 6px 8px; background: var(--jp-layout-color1, #fff); user-select: none; }
.wb-picker .wb-bar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 2px 0 6px; }
.wb-picker button { font: inherit; padding: 2px 10px; border-radius: 4px; cursor: pointer;
  border: 1px solid var(--jp-border-color1, #bbb); background: var(--jp-layout-color2, #f3f3f3);
  color: inherit; }
.wb-picker button[aria-pressed="true"] { background: #3b6fd8; color: #fff; border-color: #3b6fd8; }
.wb-picker button:disabled { opacity: 0.5; cursor: default; }
.wb-picker .wb-time, .wb-picker .wb-sel { font-variant-numeric: tabular-nums; min-width: 9em; }
.wb-picker .wb-sel { color: #3b6fd8; }
.wb-picker .wb-zoom { width: 120px; }
.wb-picker .wb-comment-text { width: 16em; font: inherit; padding: 1px 4px; }
.wb-picker .wb-wave { min-height: 40px; }
.wb-picker .wb-busy { color: #b06c00; }
.wb-picker .wb-error { display: none; margin-top: 6px; padding: 4px 8px; border-radius: 4px;
  background: #fdecea; color: #8a1c12; border: 1px solid #f5c2bd; white-space: pre-wrap; }
.wb-picker .wb-error.wb-show { display: flex; gap: 8px; align-items: flex-start; }
.wb-picker .wb-error span { flex: 1; }
.wb-picker .wb-menu { position: absolute; z-index: 1000; display: none; min-width: 140px; padding: 4px 0;
  background: var(--jp-layout-color0, #fff); border: 1px solid var(--jp-border-color1, #bbb);
  border-radius: 4px; box-shadow: 0 2px 8px rgba(0,0,0,0.25); }
.wb-picker .wb-menu.wb-show { display: block; }
.wb-picker .wb-menu button { display: block; width: 100%; text-align: left; border: 0; border-radius: 0;
  background: transparent; padding: 4px 12px; }
.wb-picker .wb-menu button:hover { background: var(--jp-layout-color2, #eef); }
.wb-picker .wb-empty { color: var(--jp-ui-font-color2, #777); padding: 12px 0; }
`;
