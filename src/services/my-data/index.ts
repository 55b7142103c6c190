export { myDataModule } from './module.ts'
export { readMyData, MY_DATA_PURPOSE, type MyData, type MyDataNeeds } from './my-data.ts'
