;; error: import `[method]r.m`: no preceding resource named `r`
(component
  (import "[method]r.m" (func)))
