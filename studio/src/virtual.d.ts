declare module "virtual:widget-css" {
  const css: string;
  export default css;
}
