;; error: resource type definitions are not allowed inside component or instance types
(component
  (type (component (type (resource (rep i32))))))
