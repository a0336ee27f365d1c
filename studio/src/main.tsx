import "@xyflow/react/dist/style.css";
import "./styles.css";
import { StrictMode, useCallback, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { auth } from "./lib/api";
import { useStudio } from "./lib/store";
import { Editor } from "./components/Editor";
import { BotList, Login } from "./components/Home";

/** /studio, /studio/{botId}, /studio/{botId}/flows/{flowId} */
export function route(pathname: string): { botId: string | null; flowId: string | null } {
  const parts = pathname.replace(/^\/studio\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  return { botId: parts[0] ?? null, flowId: parts[1] === "flows" && parts[2] !== undefined ? parts[2] : null };
}

function App() {
  const [path, setPath] = useState(window.location.pathname);
  const [key, setKey] = useState(auth.get());
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const navigate = useCallback((to: string, replace = false) => {
    if (to === window.location.pathname) return;
    if (replace) window.history.replaceState(null, "", to);
    else window.history.pushState(null, "", to);
    setPath(to);
  }, []);
  // leaving with unsaved changes asks first
  useEffect(() => {
    const onLeave = (event: BeforeUnloadEvent) => {
      const s = useStudio.getState();
      if (s.bot && s.bot !== s.saved) event.preventDefault();
    };
    window.addEventListener("beforeunload", onLeave);
    return () => window.removeEventListener("beforeunload", onLeave);
  }, []);
  if (!key) return <Login onDone={() => setKey(auth.get())} />;
  const { botId, flowId } = route(path);
  if (!botId)
    return (
      <BotList
        navigate={navigate}
        onLogout={() => {
          auth.clear();
          setKey(null);
        }}
      />
    );
  return <Editor botId={botId} flowId={flowId} navigate={navigate} />;
}

const root = document.getElementById("root");
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
