;; error: canon task.return (0x09) is not supported
;; wasm-tools: accepts
(component
  (core func (canon task.return (result u32))))
