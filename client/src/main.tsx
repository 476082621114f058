import { ApolloProvider } from '@apollo/client/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { createApolloClient } from './apollo/client.ts';
import { SessionProvider } from './session/SessionProvider.tsx';
import { tokenStore } from './session/tokenStore.ts';
import './styles.css';

const apollo = createApolloClient({
  getToken: tokenStore.get,
  onInvalidToken: () => tokenStore.set(null),
});

const onSessionChange = () => {
  apollo.restartSubscriptions();
  return apollo.client.clearStore();
};

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <ApolloProvider client={apollo.client}>
      <SessionProvider onSessionChange={onSessionChange}>
        <App />
      </SessionProvider>
    </ApolloProvider>
  </StrictMode>,
);
